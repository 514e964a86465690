CREATE TABLE "_recon_rebuild_orders" ("id" INTEGER NOT NULL PRIMARY KEY, "customer_id" INTEGER, "total" INTEGER NOT NULL DEFAULT 0, CONSTRAINT "orders_customer_id_fkey" FOREIGN KEY ("customer_id") REFERENCES "customers" ("id") ON DELETE CASCADE);
INSERT INTO "_recon_rebuild_orders" ("id", "customer_id", "total") SELECT "id", "customer_id", "total" FROM "orders";
DROP TABLE "orders";
ALTER TABLE "_recon_rebuild_orders" RENAME TO "orders";
