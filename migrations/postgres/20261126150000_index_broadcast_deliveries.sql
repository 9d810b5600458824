-- The broadcast worker pages through a broadcast's pending recipients in user id order and
-- counts deliveries by state for the progress message.
CREATE INDEX broadcast_deliveries_state_idx ON broadcast_deliveries(broadcast_id, state, user_id);
