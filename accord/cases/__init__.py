"""Cases: intake, the procedure engine, clocks, the timeline and the work queue."""
