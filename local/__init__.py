"""The local stack: it emulates only the AWS edges (API Gateway, Scheduler firing, SES outbox) around the
unchanged Chalice handlers of ``app.py``, so a laptop runs the same code paths as AWS. Never deployed."""
