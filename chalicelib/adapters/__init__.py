"""The only code that touches boto3. Clients are created lazily and cached: cheap cold starts, and
moto can intercept them."""
