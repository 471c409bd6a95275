// Names of people by id, looked up once each (GET /people/{id}); "—" while unknown.
import { reactive } from 'vue'
import { get } from './api.js'

const names = reactive({})
const asked = new Set()

/** The person's name; `hidden` when this person may not read their record. */
export function nameOf(id, hidden = '（无权查看）') {
  if (!id) return '—'
  if (!asked.has(id)) {
    asked.add(id)
    get(`/people/${id}`)
      .then((person) => {
        names[id] = person.name
      })
      .catch(() => {
        names[id] = null
      })
  }
  if (names[id] === null) return hidden
  return names[id] || '…'
}
