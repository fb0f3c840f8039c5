"""The national payment platform (Nền tảng thanh toán trên Cổng Dịch vụ công quốc gia): create a transaction,
read its detail, verify the platform's signed callbacks. Field names and codes are data (`mapping/`)."""
