// A red-star ledger entry as a line a resident reads.
const SOURCES = {
  appeal: '诉求办理获评',
  activity: '志愿服务时长',
  visit: '入户走访',
  manual: '表彰奖励',
  voucher: '兑换服务',
}
const HAS_CHINESE = /[\u4e00-\u9fff]/

export function entryText(entry) {
  const kind = String(entry.source || '').split(':')[0]
  const base = SOURCES[kind] || (entry.amount < 0 ? '兑换服务' : '获得红星')
  const rated = /appeal (\S+) closed, rated (\d)/.exec(entry.reason || '')
  if (rated) return `${base}：诉求 ${rated[1]} 获评 ${rated[2]} 星`
  if (entry.reason && HAS_CHINESE.test(entry.reason)) return `${base}：${entry.reason}`
  return base
}
