"""The sandbox's new-commerce (license-based) catalog, as plain data.

To add a product, append a ``product(...)`` line to PRODUCTS; to add a market,
add an entry to MARKETS. Everything else (products, SKUs, availabilities, the
price sheet CSV) is derived from these two tables.

Product ids: the ones marked ``# real`` are Microsoft's published new-commerce
product ids; the others are plausible ``CFQ7TTC0xxxx`` ids made up for the
sandbox. Prices are US list prices (ERP, per user per month on a one-year
term) as published around 2024-2025; they are illustrative, not a price list.
"""

from __future__ import annotations

# Market -> currency, currency symbol, and the factor applied to the USD price
# (rounded to cents) to get a plausible local price.
MARKETS: dict[str, dict] = {
    "US": {"currency": "USD", "symbol": "$", "factor": 1.0},
    "PL": {"currency": "PLN", "symbol": "zł", "factor": 4.15},
}

# Term/billing combinations offered, per profile.
TERM_PROFILES: dict[str, dict[str, list[str]]] = {
    # monthly term (monthly billing) and annual term (monthly or annual billing)
    "standard": {"P1M": ["monthly"], "P1Y": ["monthly", "annual"]},
    # ... plus a three-year term (monthly, annual or triennial billing)
    "three_year": {"P1M": ["monthly"], "P1Y": ["monthly", "annual"],
                   "P3Y": ["monthly", "annual", "triennial"]},
    # annual term only
    "annual": {"P1Y": ["monthly", "annual"]},
}

# Seat limits per audience.
LIMITS = {
    "business": (1, 300),
    "enterprise": (1, 10000),
    "frontline": (1, 10000),
    "addon": (1, 10000),
}

TERM_DESCRIPTIONS = {"P1M": "One-Month commitment for monthly/annual billing",
                     "P1Y": "One-Year commitment for monthly/annual billing",
                     "P3Y": "Three-Year commitment for monthly/annual/triennial billing"}


def product(id, title, family, audience, erp_usd, description, *, terms="standard",
            skus=None, minimum=None, maximum=None, addon=False):
    """One product with its SKUs. ``erp_usd`` is the estimated retail price per
    user per month on a one-year term. ``skus`` defaults to a single ``0001``
    SKU titled like the product."""
    low, high = LIMITS[audience]
    if minimum is not None:
        low = minimum
    if maximum is not None:
        high = maximum
    if skus is None:
        skus = [{"id": "0001", "title": title, "erp": erp_usd}]
    return {
        "id": id,
        "title": title,
        "family": family,
        "description": description,
        "addon": addon,
        "skus": [
            {
                "id": s["id"],
                "title": s["title"],
                "description": s.get("description", description),
                "erp": s.get("erp", erp_usd),
                "minimumQuantity": s.get("minimum", low),
                "maximumQuantity": s.get("maximum", high),
                "terms": TERM_PROFILES[s.get("terms", terms)],
            }
            for s in skus
        ],
    }


PRODUCTS: list[dict] = [
    # Microsoft 365 for business (up to 300 users)
    product("CFQ7TTC0LH18", "Microsoft 365 Business Basic", "Microsoft 365", "business", 6.00,  # real
            "Web and mobile Office apps, business email, 1 TB OneDrive storage and Teams. For businesses with up to 300 employees."),
    product("CFQ7TTC0LDPB", "Microsoft 365 Business Standard", "Microsoft 365", "business", 12.50,  # real
            "Desktop Office apps, business email, 1 TB OneDrive storage, Teams and webinars. For businesses with up to 300 employees."),
    product("CFQ7TTC0LCHC", "Microsoft 365 Business Premium", "Microsoft 365", "business", 22.00,  # real
            "Everything in Business Standard plus advanced security, device management and threat protection.",
            terms="three_year"),
    product("CFQ7TTC0LH1G", "Microsoft 365 Apps for business", "Microsoft 365", "business", 8.25,  # real
            "Desktop versions of Word, Excel, PowerPoint and Outlook with 1 TB OneDrive storage. No business email."),
    # Microsoft 365 / Office 365 enterprise
    product("CFQ7TTC0LH1M", "Microsoft 365 Apps for enterprise", "Microsoft 365", "enterprise", 12.00,
            "Desktop Office apps with advanced features for enterprises, 1 TB OneDrive storage."),
    product("CFQ7TTC0LFLX", "Microsoft 365 E3", "Microsoft 365", "enterprise", 36.00,  # real
            "Office apps, Exchange, SharePoint, Teams, Windows Enterprise, Intune and Entra ID P1.",
            terms="three_year"),
    product("CFQ7TTC0LFLZ", "Microsoft 365 E5", "Microsoft 365", "enterprise", 57.00,  # real
            "Microsoft 365 E3 plus advanced security, compliance, analytics and Teams Phone.",
            terms="three_year"),
    product("CFQ7TTC0LGTX", "Microsoft 365 F1", "Microsoft 365", "frontline", 2.25,
            "Teams, SharePoint and OneDrive for frontline workers, without email or Office apps."),
    product("CFQ7TTC0LH2K", "Microsoft 365 F3", "Microsoft 365", "frontline", 8.00,
            "Web and mobile Office apps, Teams, Exchange Kiosk and device management for frontline workers."),
    product("CFQ7TTC0LF8Q", "Office 365 E1", "Office 365", "enterprise", 10.00,  # real
            "Web and mobile Office apps, Exchange, SharePoint, OneDrive and Teams.", terms="three_year"),
    product("CFQ7TTC0LF8R", "Office 365 E3", "Office 365", "enterprise", 23.00,  # real
            "Desktop Office apps, Exchange, SharePoint, OneDrive and Teams with compliance tools.",
            terms="three_year"),
    product("CFQ7TTC0LF8S", "Office 365 E5", "Office 365", "enterprise", 38.00,
            "Office 365 E3 plus Teams Phone, Audio Conferencing, Power BI Pro and advanced security.",
            terms="three_year"),
    product("CFQ7TTC0LF8V", "Office 365 F3", "Office 365", "frontline", 4.00,
            "Web and mobile Office apps, Exchange Kiosk and Teams for frontline workers."),
    # Exchange
    product("CFQ7TTC0LH16", "Exchange Online (Plan 1)", "Exchange", "enterprise", 4.00,  # real
            "Business email with 50 GB mailbox, calendar and contacts."),
    product("CFQ7TTC0LH1P", "Exchange Online (Plan 2)", "Exchange", "enterprise", 8.00,
            "Exchange Online (Plan 1) plus 100 GB mailbox, unlimited archive and data loss prevention."),
    product("CFQ7TTC0LH0Q", "Exchange Online Kiosk", "Exchange", "frontline", 2.00,
            "Web-based email with 2 GB mailbox for frontline workers."),
    product("CFQ7TTC0LH0R", "Exchange Online Archiving for Exchange Online", "Exchange", "addon", 3.00,
            "Unlimited archive storage and retention for Exchange Online mailboxes.", addon=True),
    product("CFQ7TTC0LH0S", "Exchange Online Protection", "Exchange", "addon", 1.00,
            "Cloud email filtering against spam and malware.", addon=True),
    # Teams
    product("CFQ7TTC0RM8K", "Microsoft Teams Essentials", "Teams", "business", 4.00,
            "Unlimited group meetings for up to 30 hours, 300 participants and 10 GB cloud storage per user."),
    product("CFQ7TTC0TXKF", "Microsoft Teams Enterprise", "Teams", "enterprise", 5.25,
            "Teams for enterprise subscriptions sold without Teams."),
    product("CFQ7TTC0RM6Q", "Microsoft Teams Premium", "Teams", "addon", 10.00,
            "Intelligent recap, advanced webinars, branded meetings and advanced protection.", addon=True),
    product("CFQ7TTC0LH0F", "Microsoft Teams Phone Standard", "Teams", "addon", 10.00,
            "Cloud phone system for Teams: calling, call queues and auto attendants.", addon=True),
    product("CFQ7TTC0LH0D", "Microsoft Teams Audio Conferencing with dial-out to USA/CAN", "Teams", "addon", 4.00,
            "Dial-in and dial-out numbers for Teams meetings.", addon=True),
    product("CFQ7TTC0QW5P", "Microsoft Teams Rooms Pro", "Teams", "enterprise", 40.00,
            "Management, security and intelligent audio and video for Teams Rooms devices, per room.",
            terms="annual"),
    product("CFQ7TTC0QW5Q", "Microsoft Teams Rooms Basic", "Teams", "enterprise", 0.00,
            "Core meeting experience for up to 25 Teams Rooms, per room.", terms="annual", maximum=25),
    # Power BI
    product("CFQ7TTC0L3PB", "Power BI Pro", "Power BI", "enterprise", 14.00,
            "Self-service analytics: publish and share Power BI reports and dashboards."),
    product("CFQ7TTC0HL8W", "Power BI Premium Per User", "Power BI", "enterprise", 24.00,
            "Power BI Pro plus paginated reports, AI and larger model sizes, licensed per user."),
    product("CFQ7TTC0HL8X", "Power BI Premium Per User Add-On", "Power BI", "addon", 10.00,
            "Upgrade from Power BI Pro to Premium Per User.", addon=True),
    # Visio and Project
    product("CFQ7TTC0HD33", "Visio Plan 1", "Visio", "enterprise", 5.00,
            "Web-based diagramming with 2 GB OneDrive storage."),
    product("CFQ7TTC0HD32", "Visio Plan 2", "Visio", "enterprise", 15.00,
            "Visio desktop app and web app with advanced diagramming and templates."),
    product("CFQ7TTC0HDB1", "Project Plan 1", "Project", "enterprise", 10.00,
            "Web-based project management with grid, board and Gantt views."),
    product("CFQ7TTC0HDB0", "Project Plan 3", "Project", "enterprise", 30.00,
            "Project desktop client, resource management and roadmaps."),
    # Dynamics 365
    product("CFQ7TTC0LH3L", "Dynamics 365 Business Central Essentials", "Dynamics 365", "enterprise", 80.00,
            "Financials, sales, purchasing, inventory and project management for small and medium businesses.",
            terms="annual"),
    product("CFQ7TTC0LH3N", "Dynamics 365 Business Central Premium", "Dynamics 365", "enterprise", 110.00,
            "Business Central Essentials plus service and manufacturing management.", terms="annual"),
    product("CFQ7TTC0LH3M", "Dynamics 365 Business Central Team Members", "Dynamics 365", "addon", 8.00,
            "Read access and light tasks in Business Central.", terms="annual", addon=True),
    product("CFQ7TTC0LGWV", "Dynamics 365 Sales Professional", "Dynamics 365", "enterprise", 65.00,
            "Core sales force automation: leads, opportunities, quotes and Outlook integration.",
            terms="annual"),
    product("CFQ7TTC0LGWW", "Dynamics 365 Sales Enterprise", "Dynamics 365", "enterprise", 105.00,
            "Full sales force automation with forecasting, sequences and conversation intelligence.",
            terms="annual"),
    product("CFQ7TTC0LGX1", "Dynamics 365 Customer Service Enterprise", "Dynamics 365", "enterprise", 105.00,
            "Case management, knowledge base, omnichannel routing and service analytics.", terms="annual"),
    product("CFQ7TTC0LGX4", "Dynamics 365 Field Service", "Dynamics 365", "enterprise", 105.00,
            "Work orders, scheduling, inventory and mobile app for field technicians.", terms="annual"),
    # Finance and Supply Chain Management require a minimum of 20 full users.
    product("CFQ7TTC0LGX8", "Dynamics 365 Finance", "Dynamics 365", "enterprise", 210.00,
            "Global financial management, budgeting and analytics. Minimum of 20 licenses.",
            terms="annual", minimum=20),
    product("CFQ7TTC0LGXB", "Dynamics 365 Supply Chain Management", "Dynamics 365", "enterprise", 210.00,
            "Manufacturing, warehousing and transportation management. Minimum of 20 licenses.",
            terms="annual", minimum=20),
    product("CFQ7TTC0LGZ0", "Dynamics 365 Team Members", "Dynamics 365", "addon", 8.00,
            "Light use of Dynamics 365 apps: read data, approvals and time entry.", terms="annual", addon=True),
    # Copilot, security and identity
    product("CFQ7TTC0MM8R", "Microsoft 365 Copilot", "Microsoft 365", "addon", 30.00,  # real
            "AI assistant in Word, Excel, PowerPoint, Outlook and Teams, grounded in your work data.",
            terms="three_year", addon=True),
    product("CFQ7TTC0LH0G", "Microsoft Defender for Office 365 (Plan 1)", "Microsoft 365", "addon", 2.00,
            "Protection against phishing and malicious links and attachments.", addon=True),
    product("CFQ7TTC0LH0H", "Microsoft Defender for Business", "Microsoft 365", "business", 3.00,
            "Endpoint protection for businesses with up to 300 employees."),
    product("CFQ7TTC0LH0J", "Microsoft 365 E5 Security", "Microsoft 365", "addon", 12.00,
            "Advanced identity and threat protection for Microsoft 365 E3.", addon=True),
    product("CFQ7TTC0LH0K", "Microsoft Intune Plan 1", "Microsoft 365", "enterprise", 8.00,
            "Endpoint management for mobile devices and PCs."),
    product("CFQ7TTC0LH0L", "Microsoft Entra ID P1", "Microsoft 365", "enterprise", 6.00,
            "Conditional Access, self-service password reset and hybrid identity."),
    product("CFQ7TTC0LH0M", "Microsoft Entra ID P2", "Microsoft 365", "enterprise", 9.00,
            "Entra ID P1 plus identity protection and privileged identity management."),
    product("CFQ7TTC0LHSV", "OneDrive for business (Plan 1)", "Microsoft 365", "business", 5.00,
            "1 TB of cloud storage per user with sharing and collaboration."),
]

PUBLISHER = "Microsoft Corporation"
PARTNER_DISCOUNT = 0.05  # partner UnitPrice = ERP minus 5 %
P1M_PREMIUM = 0.20       # month-to-month terms cost 20 % more
