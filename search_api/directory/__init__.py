"""The district service directory: every service for children in a district (police stations,
CCIs, hospitals, CWC and JJB members, Childline, the DCPU...), kept by the district's DCPU."""
