"""`make smoke`'s sign-in on AWS (which cannot run here), held to moto's user pool; and the template's clients."""

from __future__ import annotations

import base64
import json
from typing import Any

import boto3
from moto import mock_aws

from local.template import load
from ops.smoke import SIMULATOR, CognitoIdentities


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _pool_as_the_template_makes_it(cognito: Any) -> tuple[str, str]:
    props = load().resources["UserPool"]["Properties"]
    pool = cognito.create_user_pool(PoolName="smoke", UsernameAttributes=props["UsernameAttributes"])["UserPool"]["Id"]
    flows = load().resources["SmokeUserPoolClient"]["Properties"]["ExplicitAuthFlows"]
    client = cognito.create_user_pool_client(UserPoolId=pool, ClientName="smoke", ExplicitAuthFlows=flows)
    group = load().resources["PlatformAdminsGroup"]["Properties"]["GroupName"]
    cognito.create_group(UserPoolId=pool, GroupName=group)
    return pool, client["UserPoolClient"]["ClientId"]


def test_smoke_users_sign_in_with_the_admin_flow_and_are_removed() -> None:
    with mock_aws():
        # Given the stack's user pool with its smoke-only client and platform-admins group
        cognito = boto3.client("cognito-idp", region_name="us-east-1")
        pool, client = _pool_as_the_template_makes_it(cognito)
        identities = CognitoIdentities(cognito, pool, client, "run1")

        # When the smoke makes its platform admin and a user
        admin = identities.platform_admin()
        user = identities.user("gc", SIMULATOR.format("smoke-run1-gc"))

        # Then each has an ID token for its own sub and mail address, the admin alone in platform-admins
        admin_claims, user_claims = _claims(admin.token), _claims(user.token)
        assert (admin_claims["sub"], admin_claims["token_use"]) == (admin.user_id, "id")
        assert admin_claims["cognito:groups"] == ["platform-admins"]
        assert (user_claims["sub"], user_claims["email"]) == (
            user.user_id,
            "success+smoke-run1-gc@simulator.amazonses.com",
        )
        assert "cognito:groups" not in user_claims

        # When the smoke ends
        removed = identities.remove()

        # Then both users are gone from the pool
        assert len(removed) == 2
        assert cognito.list_users(UserPoolId=pool)["Users"] == []


def test_only_the_smoke_client_signs_in_with_a_password_and_only_through_the_admin_api() -> None:
    resources = load().resources
    smoke = resources["SmokeUserPoolClient"]["Properties"]
    assert set(smoke["ExplicitAuthFlows"]) == {"ALLOW_ADMIN_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"}
    for name, client in resources.items():
        if client["Type"] == "AWS::Cognito::UserPoolClient" and name != "SmokeUserPoolClient":
            flows = set(client["Properties"].get("ExplicitAuthFlows", []))
            assert not flows & {"ALLOW_USER_PASSWORD_AUTH", "ALLOW_ADMIN_USER_PASSWORD_AUTH"}, name
