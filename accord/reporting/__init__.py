"""Managers' figures: dashboards, the annual report (HTML, PDF, charts) and case-level
exports. Every figure is aggregated in SQL."""
