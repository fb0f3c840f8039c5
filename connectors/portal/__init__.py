"""The national public service portal (Cổng Dịch vụ công quốc gia): dossiers pushed to it (`DongBoHoSoMC`, then
`CapNhatTienDoHoSoMC`), procedure records read from it (`LayThuTuc`, `LayDanhSachTTHC`), and dossiers it forwards
to Motcua. Field names and code lists are data (`mapping/*.toml`), so a changed interface is an edited file."""
