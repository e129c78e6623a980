"""Parley: a serverless secure message portal (Chalice on AWS Lambda)."""
