-- Alert trades record the call's price and the quote's price (SOL per UI token, decimal text);
-- the fill price is in trades.price. Sells look up unfinished intents of one position.
ALTER TABLE trade_intents ADD COLUMN call_price TEXT;
ALTER TABLE trade_intents ADD COLUMN quote_price TEXT;
CREATE INDEX trade_intents_position_idx ON trade_intents(position_id);
