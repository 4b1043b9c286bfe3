-- The analysts' copy: every table and view of the live file (attached read-only as `live`) into `fresh`.
COPY FROM DATABASE live TO fresh;
