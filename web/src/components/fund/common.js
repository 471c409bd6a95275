// Shared by the fund page's tabs: the funding API's refusals in Chinese, and keyset paging.
import { describe, firstMatch, messagesOf } from '../../lib/errors.js'
import { act, fail } from '../../lib/notify.js'
import { usePaged } from '../../lib/paging.js'

// What the funding service says when it refuses (409 and some 400), in Chinese.
// The first pattern that matches the message or one of the field messages wins.
const REFUSALS = [
  [/already decided on this grant|second approval is somebody else/i, '您已审批过该申请；第二次审批须由另一位工作人员完成'],
  [/needs \d+ approvals by different people/i, '该申请须经两位不同人员审批通过后才能发放'],
  [/the grant is already|the grant is (paid|rejected|reversed|approved)/i, '该申请已被处理，状态已变化，请刷新后查看'],
  [/not enough money|more than the \d+ fen available/i, '资金余额不足，无法完成本次支出'],
  [/reversal cannot itself be reversed/i, '冲正交易本身不能再冲正'],
  [/already reversed/i, '该笔交易已冲正，不能重复冲正'],
  [/transaction cannot be reversed/i, '此类交易不能冲正'],
  [/allocation can no longer be undone/i, '项目已进入实施，拨款不能再冲正'],
  [/no transaction .* in this fund/i, '本基金没有这笔交易'],
  [/this part is already claimed|already claimed/i, '该部分已被认领，请换一个认领内容'],
  [/cannot have spent|at most the \d+ fen allocated/i, '实际支出不能超过已拨付金额'],
  [/takes no more gifts/i, '该项目已完工，不再接受定向捐赠或实物'],
  [/financed by another fund|give to the project's own fund|gifts in another fund/i, '该项目由其他基金出资，请选择项目所属的基金'],
  [/belongs to another community|another community's fund|not a project of this fund's community/i, '所选项目或基金不属于本社区'],
  [/no fund yet/i, '项目尚未批准、未指定出资基金'],
  [/say which fund pays/i, '请选择出资基金'],
  [/cannot become|expected /i, '项目状态已变化，不能进行此操作，请刷新后重试'],
  [/a fund with this name already exists|already used$/i, '本社区已有同名基金'],
  [/Idempotency-Key was used for a different request|use a new key/i, '本次填写与上次提交的不同，请关闭对话框后重新登记'],
  [/a directed gift names its project/i, '定向捐须选择捐赠的项目'],
  [/name the donor or give their id/i, '请填写捐赠方名称'],
]

/** A Chinese sentence for an error of the funding API: its known refusals, else describe(). */
export function fundError(error) {
  const refusal =
    error && (error.status === 409 || error.status === 400) && firstMatch(REFUSALS, messagesOf(error))
  return refusal || describe(error)
}

export function fundFail(error) {
  return fail(error, fundError)
}

/** Like notify.act, with the funding service's refusals in Chinese. */
export function fundAct(busy, action, success) {
  return act(busy, action, success, fundError)
}

/** A keyset-paged list (lib/paging.js), with the funding service's refusals in Chinese. */
export function usePagedFund(path, params = () => ({}), limit = 20) {
  return usePaged(path, params, { limit, describeWith: fundError })
}

/** A fresh Idempotency-Key: crypto.randomUUID(), or 128 random bits where it is missing. */
export function newKey() {
  if (globalThis.crypto && typeof globalThis.crypto.randomUUID === 'function') return globalThis.crypto.randomUUID()
  // plain-http pages have no randomUUID; getRandomValues works everywhere
  const bytes = new Uint8Array(16)
  globalThis.crypto.getRandomValues(bytes)
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')
}
