pub mod invoices;
pub mod status;
