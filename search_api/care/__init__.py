"""Children in care: individual care plans, services, CWC orders and reviews, transfers,
non-institutional care, and each CCI's roll against its capacity."""
