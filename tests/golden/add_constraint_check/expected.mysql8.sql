ALTER TABLE `prices` ADD CONSTRAINT `prices_amount_check` CHECK (amount >= 0);
ALTER TABLE `prices` ADD CONSTRAINT `prices_currency_check` CHECK (currency IN ('EUR', 'USD', 'it''s'));
