// Every error the API answers, as a sentence a community worker or a resident can read.
// The API answers {"error": CODE, "message": ..., "fields": {name: [messages]}}.

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`)
    this.status = status
    this.code = (body && body.error) || 'error'
    this.fields = (body && body.fields) || {}
    this.retryAfter = body && body.retryAfter
  }
}

const BY_CODE = {
  invalid_input: '填写的内容有误',
  unauthenticated: '登录已过期或未登录，请重新登录',
  forbidden: '您没有权限进行此操作',
  not_found: '找不到该记录，可能已被删除或链接有误',
  method_not_allowed: '不支持此操作',
  conflict: '操作冲突：该事项已被他人处理或状态已变化，请刷新后重试',
  payload_too_large: '提交的内容过大，请精简后重试',
  too_many_requests: '操作过于频繁，请稍后再试',
  service_unavailable: '服务暂时不可用，请稍后再试',
  internal_error: '系统出现错误，已记录，请稍后再试',
  network: '无法连接服务器，请检查网络后重试',
}

const BY_STATUS = {
  400: BY_CODE.invalid_input,
  401: BY_CODE.unauthenticated,
  403: BY_CODE.forbidden,
  404: BY_CODE.not_found,
  405: BY_CODE.method_not_allowed,
  409: BY_CODE.conflict,
  413: BY_CODE.payload_too_large,
  414: '请求的网址过长，请返回上一页重试',
  429: BY_CODE.too_many_requests,
  431: '请求头过大，请重新登录后重试',
  503: BY_CODE.service_unavailable,
}

// What the API's messages say, in Chinese; the first pattern that matches wins.
const MESSAGES = [
  [/wrong phone or password|invalid credentials|phone or password/i, '手机号或密码错误'],
  [/missing data for required field|is required|required/i, '必填'],
  [/not a valid integer/i, '须为整数'],
  [/not a valid (number|decimal)/i, '须为数字'],
  [/not a valid url/i, '须为以 http:// 或 https:// 开头的网址'],
  [/a time (between|outside) the years (\d+) (and|to) (\d+)/i, '时间须在 $2 年至 $4 年之间'],
  [/not a valid (datetime|date)|timezone|a time without its offset/i, '时间格式不正确'],
  [/not a valid boolean/i, '须为是或否'],
  [/not a valid string/i, '须为文字'],
  [/not one of this community's people/i, '不是本社区的人员（须在本社区居住或任职）'],
  [/not in this community/i, '不属于本社区'],
  [/no such person/i, '查无此人'],
  [/an 11-digit mobile number/i, '须为 11 位手机号码'],
  [/control characters/i, '不能含有控制字符'],
  [/one line|no line breaks/i, '须为一行，不能换行'],
  [/lone surrogate|half of a character/i, '含有无法识别的字符'],
  [/nested deeper than/i, '提交内容层级过深'],
  [/not one of this list|cursor is not one we gave/i, '翻页位置已失效，请刷新后重试'],
  [/no residents in this scope/i, '该范围内没有居民'],
  [/not your home/i, '您不住在表决范围内'],
  [/must be one of|not one of the options/i, '不在可选范围内'],
  [/longer than|length must be|shorter than|at most \d+ characters/i, '长度超出范围'],
  [/must be greater|must be less|between|out of range|range/i, '数值超出范围'],
  [/unknown field/i, '不应填写此项'],
  [/this route takes no body/i, '此操作无需填写内容'],
  [/options must differ/i, '选项不能重复'],
  [/say why|a reason/i, '请填写原因'],
  [/say how it was resolved/i, '请填写办理结果'],
  [/a rating is 1 to 5/i, '评分须为 1 到 5 星'],
  [/in the future|closes in the future/i, '时间须晚于现在'],
  [/already (voted|claimed|registered|rated|signed)/i, '已经办理过，不能重复'],
  [/not enough|insufficient|exceed|below zero|balance/i, '余额或库存不足'],
  [/same person|two different|second approval/i, '须由另一人审批'],
  [/out of stock|stock/i, '库存不足'],
  [/a confidential appeal goes only to the community's staff/i, '保密诉求只能派给本社区的工作人员'],
  [/a confidential appeal is not put to a vote/i, '保密诉求不能发起表决'],
]

const FIELD_LABELS = {
  phone: '手机号',
  password: '密码',
  category: '类别',
  title: '标题',
  description: '描述',
  household_id: '住户',
  photo_urls: '照片链接',
  assignee_id: '办理人',
  assignee_kind: '办理方类型',
  resolution: '办理结果',
  score: '评分',
  comment: '评价',
  reason: '原因',
  days: '延期天数',
  question: '表决事项',
  options: '选项',
  scope: '表决范围',
  scope_id: '表决范围',
  closes_at: '截止时间',
  option: '选项',
  appeal_ids: '诉求',
  estimated_cost_fen: '预计费用',
  beneficiaries: '受益人数',
  amount_fen: '金额',
  channel: '渠道',
  donor_name: '捐赠方',
  donor_id: '捐赠方',
  purpose: '用途',
  name: '名称',
  status: '状态',
  limit: '条数',
  cursor: '翻页',
  q: '搜索词',
  building_id: '楼栋',
  'X-Device': '设备标识',
  _body: '提交内容',
}

/**
 * The Chinese of the first pattern of `table` ([[pattern, chinese], ...]) one of `texts`
 * matches; `$1`, `$2`... in the Chinese stand for what the pattern's groups caught (the
 * number a message names, say).
 */
export function firstMatch(table, texts) {
  for (const text of texts) {
    for (const [pattern, chinese] of table) {
      const found = pattern.exec(text)
      if (found) return chinese.replace(/\$(\d)/g, (_, n) => found[n] ?? '')
    }
  }
  return undefined
}

/** What an API error says: its message, then every message of its fields. */
export function messagesOf(error) {
  return [String((error && error.message) || ''), ...flatten((error && error.fields) || {})]
}

// a field's message: a page's own table (`more`) first, then the shared one
function translate(message, more = []) {
  return firstMatch(more, [message]) || firstMatch(MESSAGES, [message]) || '格式不正确'
}

// a field's messages: a list, or for a list or object field, messages by item or key
function flatten(messages) {
  if (Array.isArray(messages)) return messages.flatMap(flatten)
  if (messages && typeof messages === 'object') return Object.values(messages).flatMap(flatten)
  return [String(messages)]
}

/**
 * "字段：说明；字段：说明" of an error's fields, each message in Chinese: by `more`
 * ([[pattern, chinese], ...], a page's own) first, then by the shared table.
 */
export function fieldText(fields, more = []) {
  return Object.entries(fields || {})
    .map(([name, messages]) => {
      const texts = [...new Set(flatten(messages).map((m) => translate(m, more)))]
      return `${FIELD_LABELS[name] || name}：${texts.join('，')}`
    })
    .join('；')
}

/**
 * A readable Chinese sentence for anything a call to the API threw; `more` translates
 * the field messages a page knows better than the shared table.
 */
export function describe(error, more = []) {
  if (!(error instanceof ApiError)) return BY_CODE.network
  let text = BY_CODE[error.code] || BY_STATUS[error.status] || `请求失败（${error.status}）`
  if (error.code === 'unauthenticated' && /phone|password|credential/i.test(error.message)) {
    text = '手机号或密码错误'
  }
  const fields = fieldText(error.fields, more)
  if (fields) text += `：${fields}`
  if (error.status === 429 && error.retryAfter) text += `（约 ${error.retryAfter} 秒后可重试）`
  return text
}
