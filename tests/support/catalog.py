"""Products of the sandbox's catalog that the catalog tests name."""
from __future__ import annotations

BUSINESS_PREMIUM = "CFQ7TTC0LCHC"  # Microsoft 365 Business Premium, seats 1 to 300
BUSINESS_BASIC = "CFQ7TTC0LH18"    # monthly and 1-year terms only
FINANCE = "CFQ7TTC0LGX8"           # Dynamics 365 Finance: at least 20 seats, 1-year term only
