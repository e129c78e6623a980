"""Email: MIME parsing of inbound mail, outbound rendering and MIME building."""
