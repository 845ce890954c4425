-- Run once by the postgres image on an empty data volume, as the POSTGRES_USER (linli).
-- One database per service: a service never reads another one's tables.
CREATE DATABASE linli_catalog;
CREATE DATABASE linli_orders;
CREATE DATABASE linli_fulfillment;
CREATE DATABASE linli_crm;
CREATE DATABASE linli_referral;
