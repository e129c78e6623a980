"""Rules of the product. No Chalice, no boto3: entry points call in, the data layer and adapters
are called out to."""
