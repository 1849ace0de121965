"""Who may do what in the local cloud, decided as AWS decides it.

- `sigv4.py`: checking request signatures (botocore's own signer recomputes them);
- `policy.py`: evaluating identity policies (explicit Deny, Allow, implicit deny);
- `actions.py`: the IAM action and resource ARN each request asks for;
- `denials.py`: AccessDenied and bad-credential answers in each service's own error shape;
- `guard.py`: putting it together for the edge, @connections, the runtime and the sources.

Only temporary credentials of IAM roles (what Lambda hands each function) are checked against
policies; the learner's own notebook credentials stay all-powerful, as an administrator's are.
"""
