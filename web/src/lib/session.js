// Who is signed in, what they may do, and which community the office is looking at.
import { computed, reactive } from 'vue'
import { get, hasToken, post, setToken } from './api.js'

const ADMIN_ROLES = ['community_admin', 'street_admin']
const GRID_ROLES = [
  'grid_worker',
  'building_head',
  'unit_head',
  'grid_leader',
  'department_member',
  'party_liaison',
  'red_steward',
  'central_household',
]

export const session = reactive({
  me: null,
  communityId: localStorage.getItem('yzw.community') || '',
})

// The device token of this browser's last login, kept past logout: sent back as
// X-Device, it lets the owner in while someone else's failed guesses slow strangers.
const DEVICE = 'yzw.device'

export async function login(phone, password) {
  const device = localStorage.getItem(DEVICE)
  let answer
  try {
    answer = await post('/auth/login', { phone, password }, device ? { 'X-Device': device } : {})
  } catch (e) {
    // a token the gateway refuses (edited, cut short) is forgotten, not a locked door
    if (!(device && e.status === 400 && e.fields && e.fields['X-Device'])) throw e
    localStorage.removeItem(DEVICE)
    answer = await post('/auth/login', { phone, password })
  }
  if (answer.device) localStorage.setItem(DEVICE, answer.device)
  setToken(answer.token)
  return loadMe()
}

export async function loadMe() {
  if (!hasToken()) return null
  session.me = await get('/me')
  const ids = communities.value.map((c) => c.id)
  if (!ids.includes(session.communityId)) chooseCommunity(ids[0] || '')
  return session.me
}

export function logout() {
  setToken('')
  session.me = null
}

export function chooseCommunity(id) {
  session.communityId = id
  if (id) localStorage.setItem('yzw.community', id)
  else localStorage.removeItem('yzw.community')
}

/** The communities this person works in: {id, name, roles}. */
export const communities = computed(() => (session.me && session.me.communities) || [])

export const community = computed(() => communities.value.find((c) => c.id === session.communityId) || null)

/** Roles held in the community the office is looking at. */
export const rolesHere = computed(() => (community.value ? community.value.roles : []))

export const isStaff = computed(() => communities.value.length > 0)

function holds(roles) {
  return rolesHere.value.some((r) => roles.includes(r))
}

/** What the office offers; the API decides again on every call. */
export const can = reactive({
  get admin() {
    return holds(ADMIN_ROLES)
  },
  get dispatch() {
    return holds([...ADMIN_ROLES, ...GRID_ROLES])
  },
  get moveMoney() {
    return holds(['treasurer', 'street_admin'])
  },
  get approveGrants() {
    return holds([...ADMIN_ROLES])
  },
  // a large activity completion: by an admin other than the one who completed it
  get approveStars() {
    return holds([...ADMIN_ROLES])
  },
  get seeFunds() {
    return holds([...ADMIN_ROLES, 'treasurer'])
  },
})
