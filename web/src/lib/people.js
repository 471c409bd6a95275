// Names of people by id, looked up once each (GET /people/{id}); "—" while unknown.
import { reactive } from 'vue'
import { get } from './api.js'

const names = reactive({})
const asked = new Set()

export function nameOf(id) {
  if (!id) return '—'
  if (!asked.has(id)) {
    asked.add(id)
    get(`/people/${id}`)
      .then((person) => {
        names[id] = person.name
      })
      .catch(() => {
        names[id] = '（无权查看）'
      })
  }
  return names[id] || '…'
}
