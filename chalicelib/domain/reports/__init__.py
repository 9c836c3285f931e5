"""Report definitions (issue 15): the metrics' start and stop events, the report day, calendar and opening-hours
seconds, distributions and CSV export, as pure functions over plain inputs. No storage and no wiring: the stream
consumer and the report reads build on them. docs/reports.md states every definition."""
