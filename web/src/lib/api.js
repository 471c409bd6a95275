// The one way to data: the gateway's JSON API under /api/v1, same origin.
import { ApiError } from './errors.js'

const BASE = '/api/v1'
let token = localStorage.getItem('yzw.token') || ''
let onUnauthenticated = () => {}

export function setToken(value) {
  token = value || ''
  if (token) localStorage.setItem('yzw.token', token)
  else localStorage.removeItem('yzw.token')
}

export function hasToken() {
  return Boolean(token)
}

export function whenUnauthenticated(callback) {
  onUnauthenticated = callback
}

function query(params) {
  const pairs = Object.entries(params || {}).filter(([, v]) => v !== undefined && v !== null && v !== '')
  return pairs.length ? `?${new URLSearchParams(pairs).toString()}` : ''
}

export async function request(method, path, { body, params, headers } = {}) {
  const sent = { ...(headers || {}) }
  if (token) sent.Authorization = `Bearer ${token}`
  if (body !== undefined) sent['Content-Type'] = 'application/json'
  let response
  try {
    response = await fetch(`${BASE}${path}${query(params)}`, {
      method,
      headers: sent,
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch {
    throw new ApiError(0, { error: 'network', message: 'network' })
  }
  const text = await response.text()
  let data = null
  try {
    data = text ? JSON.parse(text) : null
  } catch {
    data = { error: 'internal_error', message: text.slice(0, 200) }
  }
  if (!response.ok) {
    const error = new ApiError(response.status, { ...(data || {}), retryAfter: response.headers.get('Retry-After') })
    if (response.status === 401 && token && !path.startsWith('/auth/')) onUnauthenticated(error)
    throw error
  }
  return data
}

export const get = (path, params) => request('GET', path, { params })
export const post = (path, body, headers) => request('POST', path, { body: body === undefined ? {} : body, headers })
export const put = (path, body) => request('PUT', path, { body })
export const del = (path) => request('DELETE', path)

/** Every item of a keyset-paged list, up to `max` items. */
export async function all(path, params = {}, max = 500) {
  const items = []
  let cursor
  do {
    const page = await get(path, { ...params, limit: 100, cursor })
    items.push(...page.items)
    cursor = page.next_cursor
  } while (cursor && items.length < max)
  return items
}
