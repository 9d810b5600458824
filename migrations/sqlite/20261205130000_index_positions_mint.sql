-- The fan-out asks which users hold a mint (positions by mint, open ones).
CREATE INDEX positions_mint_state_idx ON positions(mint, state);
