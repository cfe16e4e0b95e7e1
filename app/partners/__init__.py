"""The operator's network: onboarding resellers and direct customers (admin > Accounts), and the
rules of its reseller network in Partner Center (network.py)."""
