-- /healthz writes here (one row) so an unwritable database reports unhealthy.
CREATE TABLE health_probe (
    id BIGINT PRIMARY KEY,
    probed_at BIGINT NOT NULL
);
