"""ONE's ``one.alf`` package: ALF files, paths and specification (pandas face of alf_fast)."""
