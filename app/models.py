"""Imports every area's models so metadata (and Alembic autogenerate) sees all tables."""
from app.accounts.models import (Account, DomainReservation, Licensee, Notification, Tenant, TenantLock,  # noqa: F401
                                 User)
from app.accounts.notification_settings import NotificationOptOut, NotificationSetting  # noqa: F401
from app.admin.models import StorefrontSetting  # noqa: F401
from app.audit.models import AuditEvent  # noqa: F401
from app.catalog.models import (Cart, CartLine, CatalogSync, Offer, OfferTerm, PriceList,  # noqa: F401
                                PriceListEntry, Product, Sku)
from app.connections.models import PartnerCenterInstance  # noqa: F401
from app.connections.reseller_tenants import ResellerTenantConsent  # noqa: F401
from app.auth.models import EmailChange, Invitation, PasswordReset  # noqa: F401
from app.mail.models import MailMessage  # noqa: F401
from app.checkout.models import AuthorizationWatch, CheckoutDraft, McaAcceptance  # noqa: F401
from app.orders.models import Order, OrderLine, OrderStep  # noqa: F401
from app.orders.gdap import GdapRequest  # noqa: F401
from app.subscriptions.models import Agreement, Subscription  # noqa: F401
from app.migration.models import (ArchivedInvoice, ArchivedOrder, HiddenNotice, ImportRun,  # noqa: F401
                                  MigratedAccount, MigratedLicensee, MigratedUser, OnboardingWebinar)
from app.programs.models import Certificate, PartnerRequest, Program  # noqa: F401
from app.tools.models import CustomerImportRun, ImportCandidate, ReconciliationFinding, ReconciliationRun  # noqa: F401
