-- Resting orders (limit / breakout buys, limit and stop sells, DCA), evaluated by the position
-- monitor every tick. `fills` counts fills claimed (an atomic update from `active` with the
-- previous count, so a cancel that commits first is exact and a fill is never claimed twice);
-- `settled` counts fills whose trade finished. A claimed, unsettled fill (a crash in between)
-- is resumed at start with the same intent key `order:<id>:<fill>`.
CREATE TABLE resting_orders (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL,
    request_key TEXT NOT NULL,        -- the command message that placed it (a redelivery places nothing)
    mint TEXT NOT NULL,
    side TEXT NOT NULL,               -- buy | sell
    position_id BIGINT,               -- sells: the position they sell
    plan TEXT NOT NULL,               -- JSON: limit trigger or DCA schedule
    size TEXT NOT NULL,               -- JSON: lamports, wallet share, percent or tokens
    fills BIGINT NOT NULL DEFAULT 0,
    settled BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT NOT NULL,
    expires_at BIGINT,
    state TEXT NOT NULL,              -- active | filled | cancelled | expired | failed
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX resting_orders_state_idx ON resting_orders(state, id);
CREATE UNIQUE INDEX resting_orders_request_idx ON resting_orders(request_key);
CREATE INDEX resting_orders_user_idx ON resting_orders(user_id, state);
