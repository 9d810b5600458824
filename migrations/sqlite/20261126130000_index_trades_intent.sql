CREATE UNIQUE INDEX trades_intent_uidx ON trades(intent_id);
CREATE INDEX positions_open_mint_idx ON positions(user_id, mint, state);
