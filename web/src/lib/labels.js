// Chinese names of the API's codes: statuses, categories, roles, channels, purposes.

export const APPEAL_STATUS = {
  submitted: '待派单',
  dispatched: '已派单',
  claimed: '办理中',
  resolved: '已办结',
  closed: '已评价',
  rejected: '已驳回',
  withdrawn: '已撤回',
}
export const STATUS_TAG = {
  submitted: 'danger',
  dispatched: 'warning',
  claimed: 'primary',
  resolved: 'success',
  closed: 'info',
  rejected: 'info',
  withdrawn: 'info',
}
export const CATEGORY = {
  legacy: '遗留问题',
  infrastructure: '基础设施',
  daily: '日常发现',
  dispute: '矛盾纠纷',
  sanitation: '环境卫生',
  safety: '安全隐患',
  greening_lighting: '绿化照明',
  parking: '停车管理',
  assistance: '困难帮扶',
  property_service: '物业服务',
  other: '其他',
}
export const SOURCE = { resident_app: '群众点单', visit: '入户走访', patrol: '网格巡查', hotline: '热线电话' }
export const LEVEL = { grid: '网格', community: '社区', street: '街道', department: '职能部门' }
export const ACTION = {
  submit: '群众点单',
  dispatch: '网格派单',
  claim: '接单',
  resolve: '办结',
  close: '群众评单',
  reopen: '评价不满意，重办',
  reject: '驳回',
  withdraw: '撤回',
  escalate: '上报升级',
  return: '退单',
  requeue: '退回网格队列',
  resolve_by_project: '项目完工办结',
  extension_requested: '申请延期',
  extension_granted: '批准延期',
  urged: '催办',
  deliberation_opened: '发起表决',
  deliberation_closed: '表决结束',
  project_proposed: '组成项目提案',
}
// actions whose note the system wrote (ids, English): the timeline does not show it
export const SYSTEM_NOTES = ['submit', 'dispatch', 'extension_granted', 'urged', 'deliberation_opened', 'deliberation_closed', 'project_proposed', 'requeue', 'resolve_by_project']
export const ASSIGNEE_KIND = { person: '个人', volunteer_team: '志愿服务队', member_org: '共建单位', department: '职能部门' }
export const ROLE = {
  resident: '居民',
  party_member: '党员',
  grid_staff: '网格工作人员',
  grid_worker: '专职网格员',
  building_head: '楼栋长',
  unit_head: '单元长',
  grid_leader: '网格长',
  department_member: '部门网格员',
  party_liaison: '党员联络员',
  red_steward: '红管家',
  central_household: '党员中心户',
  community_admin: '社区管理员',
  street_admin: '街道管理员',
  treasurer: '资金管理员',
  team_leader: '志愿队长',
  reward_provider: '服务提供方',
}
export const CHANNEL = {
  directed: '定向捐',
  caring: '爱心捐',
  public_welfare: '公益捐',
  leading: '带头捐',
  mutual_aid: '互助捐',
}
export const PURPOSE = {
  emergency_relief: '救急',
  disaster_relief: '救难',
  hardship_relief: '救困',
  elderly_support: '扶老',
  orphan_support: '扶孤',
  public_welfare_support: '扶持公益',
  recruit_award: '奖励入伍新兵',
  student_award: '奖励优秀学子',
  role_model_award: '奖励最美典型',
  projects: '定向投项目',
}
export const PROJECT_STATUS = {
  proposed: '已提出',
  assessed: '已调研评估',
  approved: '已批准',
  funded: '已拨款',
  claimed: '已认领',
  in_progress: '实施中',
  completed: '已完工',
}
export const GRANT_STATUS = { applied: '待审批', approved: '已审批', paid: '已发放', rejected: '已驳回', reversed: '已冲正' }
export const FOCUS = {
  policy_outreach: '政策宣传',
  assistance: '帮扶救助',
  health: '健康服务',
  culture: '文体活动',
  patrol: '平安巡逻',
  waste_sorting: '垃圾分类',
  environment: '环境保护',
  other: '其他',
}
export const SCOPE = { grid: '本网格', estate: '本小区', building: '本楼栋' }

export function label(table, code) {
  if (code === null || code === undefined || code === '') return '—'
  return table[code] || code
}
