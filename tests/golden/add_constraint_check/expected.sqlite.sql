CREATE TABLE "_recon_rebuild_prices" ("id" INTEGER NOT NULL PRIMARY KEY, "amount" INTEGER NOT NULL, "currency" VARCHAR(3) NOT NULL DEFAULT 'EUR', CONSTRAINT "prices_amount_check" CHECK (amount >= 0));
INSERT INTO "_recon_rebuild_prices" ("id", "amount", "currency") SELECT "id", "amount", "currency" FROM "prices";
DROP TABLE "prices";
ALTER TABLE "_recon_rebuild_prices" RENAME TO "prices";
CREATE TABLE "_recon_rebuild_prices" ("id" INTEGER NOT NULL PRIMARY KEY, "amount" INTEGER NOT NULL, "currency" VARCHAR(3) NOT NULL DEFAULT 'EUR', CONSTRAINT "prices_amount_check" CHECK (amount >= 0), CONSTRAINT "prices_currency_check" CHECK (currency IN ('EUR', 'USD', 'it''s')));
INSERT INTO "_recon_rebuild_prices" ("id", "amount", "currency") SELECT "id", "amount", "currency" FROM "prices";
DROP TABLE "prices";
ALTER TABLE "_recon_rebuild_prices" RENAME TO "prices";
