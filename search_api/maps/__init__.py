"""Vulnerable-location maps (issue 16, part 2): where children go missing and are found, by
district and period, from the records; routes of confirmed pairs; bundled boundaries; SVG, PNG, CSV."""
