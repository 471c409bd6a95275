// Money is integer fen in the API and yuan on the screen; times are UTC in the API
// and Beijing time (Asia/Shanghai) on the screen.

const yuan = new Intl.NumberFormat('zh-CN', { style: 'currency', currency: 'CNY' })
const dateTime = new Intl.DateTimeFormat('zh-CN', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hour12: false,
})

export function money(fen) {
  if (fen === null || fen === undefined) return '—'
  return yuan.format(fen / 100)
}

export function when(iso) {
  if (!iso) return '—'
  const date = new Date(iso)
  return Number.isNaN(date.getTime()) ? iso : dateTime.format(date)
}

export function percent(share) {
  if (share === null || share === undefined) return '—'
  return `${(share * 100).toFixed(1)}%`
}

export function yuanToFen(yuanText) {
  const value = Number(yuanText)
  if (!Number.isFinite(value)) return NaN
  return Math.round(value * 100)
}

// A confidential appeal's title reaches only those who may read it; others get null.
export function titleOf(appeal) {
  return appeal.title ?? '（保密诉求）'
}
