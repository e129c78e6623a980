"""The only layer that touches PynamoDB. One module per aggregate; every query takes the owner's
key as a required argument, so access scoping is in the key, not in a filter."""
