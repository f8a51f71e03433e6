"""IAM proven by the calls: every AWS call a function makes in the suite, held against its role as deployed."""
