export const colors = {
  bg: '#f5f6f8',
  card: '#ffffff',
  text: '#111827',
  muted: '#6b7280',
  border: '#e5e7eb',
  primary: '#1d4ed8',
  primaryText: '#ffffff',
  danger: '#b91c1c',
  dangerBg: '#fef2f2',
  warn: '#92400e',
  warnBg: '#fffbeb',
  ok: '#047857',
  okBg: '#ecfdf5',
};

export const space = { xs: 4, sm: 8, md: 12, lg: 16, xl: 24 };
