// Volunteering's own errors in Chinese: the conflicts this page can meet said plainly,
// and the names of its form fields, before the shared describe() speaks.
import { describe, fieldText, firstMatch } from '../../lib/errors.js'
import { act, fail } from '../../lib/notify.js'

// What the volunteer service lets a team's leader plan alone: its default settings
// (ACTIVITY_MAX_HOURS, ACTIVITY_MAX_STARS_PER_HOUR, ACTIVITY_MAX_DAYS_BACK), for the
// forms' limits and hints; the service checks again by its own settings.
export const ACTIVITY_LIMITS = { maxHours: 12, maxStarsPerHour: 10, maxDaysBack: 7 }

const FIELDS = {
  community_id: '社区',
  team_id: '服务队',
  name: '名称',
  focus: '服务方向',
  leader_id: '队长',
  person_id: '人员',
  title: '活动名称',
  place: '地点',
  starts_at: '开始时间',
  ends_at: '结束时间',
  capacity: '人数上限',
  stars_per_hour: '每小时红星',
  at: '时间',
  stars: '红星数',
  reason: '表彰理由',
  provider_id: '服务提供方',
  price_stars: '所需红星',
  stock: '库存',
  period: '统计周期',
  comment: '审批意见',
}

// Refusals whose fields say what was wrong: this leads, the fields follow.
const LEADS = [[/beyond what a team may plan/i, '活动超出服务队可自行安排的范围']]

// What the service says of a field, in Chinese ($1: the number it names).
const FIELD_MESSAGES = [
  [/at most (\d+) hours after starts_at/i, '活动最长 $1 小时'],
  [/at most (\d+) days ago/i, '最早为 $1 天前'],
  [/^at most (\d+)$/i, '最多 $1 颗'],
  [/not before starts_at/i, '不能早于活动开始时间'],
  [/not after ends_at/i, '不能晚于活动结束时间'],
  [/overlaps time served in another activity/i, '与该志愿者在另一项活动中已计的时间重叠'],
]

// What the service says, in Chinese: the first pattern that matches wins.
const MESSAGES = [
  [/a time before the activity starts|not before starts_at/i, '所填时间早于活动开始时间：签到签退的时间须在活动时间之内'],
  [/a time after the activity ends|not after ends_at/i, '所填时间晚于活动结束时间：签到签退的时间须在活动时间之内'],
  [/already counted for the volunteer in another activity/i, '这段时间已在该志愿者参加的另一项活动中计过时长，同一时间只计一次'],
  [/completion waits for a community admin's approval/i, '活动已结束，红星发放正在等待社区管理员审批'],
  [/completion was rejected/i, '活动的红星发放已被驳回，不再发放红星'],
  [/not completed yet/i, '活动尚未结束，还没有待审批的红星发放'],
  [/you completed this activity; its approval is another/i, '活动由您结束，红星发放须由另一名社区管理员审批'],
  [/may not decide on this activity's stars/i, '只有本社区的社区管理员可以审批活动的红星发放'],
  [/not one of this community's people/i, '此人不是本社区的人员（须在本社区居住或任职）'],
  [/no such person/i, '查无此人，请从名单中选择'],
  [/a team with this name already exists/i, '本社区已有同名的志愿服务队'],
  [/already a member of the team/i, '此人已是该服务队队员'],
  [/already checked in/i, '该志愿者已签到'],
  [/already checked out/i, '该志愿者已签退'],
  [/check in first/i, '请先签到，再签退'],
  [/ends after it starts|after starts_at/i, '结束时间须晚于开始时间'],
  [/checked out before checking in|after the check-in/i, '签退时间须晚于签到时间'],
  [/a time in the future|not in the future/i, '时间不能晚于现在'],
  [/not signed up for this activity/i, '该志愿者未报名此活动'],
  [/already completed/i, '活动已结束，红星已按时长发放过'],
  [/activity is full/i, '活动名额已满'],
  [/no voucher with this code/i, '没有这个兑换码的兑换券，请核对'],
  [/redeem another provider's voucher/i, '只有该项服务的提供方可以核销这张兑换券'],
  [/the voucher is already used/i, '这张兑换券已经核销过了'],
  [/the voucher is already cancelled/i, '这张兑换券已作废'],
  [/no account|no red-star account/i, '此人还没有红星账户'],
]

/** What went wrong, in Chinese: the volunteer service's refusals, else errors.describe. */
export function volunteerError(error) {
  const refusal = error && error.message && firstMatch(MESSAGES, [error.message])
  if (refusal) return refusal
  if (error && error.fields && typeof error.fields === 'object') {
    const renamed = {}
    for (const [name, messages] of Object.entries(error.fields)) renamed[FIELDS[name] || name] = messages
    error.fields = renamed
  }
  const lead = error && error.message && firstMatch(LEADS, [error.message])
  if (lead) {
    const fields = fieldText(error.fields, FIELD_MESSAGES)
    return fields ? `${lead}：${fields}` : lead
  }
  return describe(error, FIELD_MESSAGES)
}

/** Say what went wrong in Chinese; returns the sentence shown. */
export function failHere(error) {
  return fail(error, volunteerError)
}

/** Run an action with a busy flag; the success toast, or the error in Chinese (then undefined). */
export function run(busy, action, success) {
  return act(busy, action, success, volunteerError)
}

// Times are entered as Beijing wall-clock time, whatever the browser's own zone.
const BEIJING_MS = 8 * 3600 * 1000

/** "YYYY-MM-DDTHH:mm:ss" of Beijing now, optionally shifted by minutes. */
export function beijingNow(shiftMinutes = 0) {
  return new Date(Date.now() + BEIJING_MS + shiftMinutes * 60000).toISOString().slice(0, 19)
}

/** A Beijing wall-clock "YYYY-MM-DDTHH:mm:ss" from an ISO instant. */
export function beijingOf(iso) {
  return new Date(new Date(iso).getTime() + BEIJING_MS).toISOString().slice(0, 19)
}

/** The instant, with its offset, of a Beijing wall-clock "YYYY-MM-DDTHH:mm:ss". */
export function fromBeijing(wallClock) {
  return wallClock ? `${wallClock}+08:00` : ''
}
