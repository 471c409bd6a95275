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
export const GRANT_TAG = { applied: 'warning', approved: 'primary', paid: 'success', rejected: 'info', reversed: 'danger' }
export const DONOR_KIND = { person: '个人', member_org: '共建单位', anonymous: '匿名' }
export const CLAIMANT_KIND = { member_org: '共建单位', social_org: '社会组织', community: '社区' }
export const CLAIM_FORM = { money: '出资', goods: '出物', labour: '出力' }
export const TRANSACTION_KIND = {
  donation: '捐赠入账',
  grant_payment: '救助奖励发放',
  allocation: '项目拨款',
  completion: '项目完工结算',
  reversal: '冲正',
}
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
// open → completed; a large payment: open → awaiting_approval → completed or rejected
export const ACTIVITY_STATUS = { open: '开放中', awaiting_approval: '待审批', completed: '已结束', rejected: '已驳回' }
export const ACTIVITY_TAG = { open: 'success', awaiting_approval: 'warning', completed: 'info', rejected: 'danger' }
export const SIGNUP_STATUS = { signed_up: '已报名', cancelled: '已取消' }
export const VOUCHER_STATUS = { issued: '未使用', used: '已核销', cancelled: '已作废' }
export const PERIOD = { month: '本月', year: '本年', all: '全部' }
export const HOUSEHOLD_KIND = { home: '住宅', shop: '商铺' }
export const PERSON_KIND = { resident: '居民', social_worker: '社工', department_staff: '部门工作人员' }
export const PARTY_MEMBERSHIP = { registered: '在册党员', reporting: '报到党员' }
export const PARTY_ORG_KIND = {
  community_committee: '社区党委',
  grid_branch: '网格党支部',
  building_group: '楼栋党小组',
  central_household: '党员中心户',
  functional_branch: '功能型党支部',
  action_group: '行动党小组',
}
export const PARTY_ORG_ROLE = { secretary: '书记', member: '党员' }
export const MEMBER_ORG_KIND = {
  enterprise: '企业',
  institution: '机关事业单位',
  social_organisation: '社会组织',
  shop: '商户',
  property_company: '物业公司',
}

export function label(table, code) {
  if (code === null || code === undefined || code === '') return '—'
  return table[code] || code
}
