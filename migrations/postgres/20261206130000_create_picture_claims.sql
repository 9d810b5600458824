-- A picture button press (PnL card), claimed before the picture is rendered and sent: a double
-- tap or a redelivered press of the same button on the same message within the claim window
-- sends one picture, not two. `claim_key` names user, chat, message and button; a press after
-- the window renews the claim (a fresh card of an open position). Old rows are pruned on claim.
CREATE TABLE picture_claims (
    claim_key TEXT PRIMARY KEY,
    claimed_at BIGINT NOT NULL
);
CREATE INDEX picture_claims_claimed_at_idx ON picture_claims(claimed_at);
