// A keyset-paged list of the API ({items, next_cursor}) with its loading, error and
// "加载更多" states.
import { ref } from 'vue'
import { get } from './api.js'
import { describe } from './errors.js'
import { fail } from './notify.js'

/**
 * `path()` and `params()` are read at every load, so filters apply as they change.
 * `describeWith` turns an error into the Chinese the page shows (errors.describe).
 * Returns `{items, nextCursor, loading, loaded, loadingMore, error, missing, load, more,
 * clear}` (`loaded`: a first load has ended, so an empty list is known to be empty);
 * `missing` is true when the list's own route answered 404 or 405.
 */
export function usePaged(path, params = () => ({}), { limit = 20, describeWith = describe } = {}) {
  const items = ref([])
  const nextCursor = ref(null)
  const loading = ref(false)
  const loaded = ref(false)
  const loadingMore = ref(false)
  const error = ref('')
  const missing = ref(false)

  async function load() {
    loading.value = true
    error.value = ''
    missing.value = false
    try {
      const page = await get(path(), { ...params(), limit })
      items.value = page.items
      nextCursor.value = page.next_cursor
    } catch (e) {
      items.value = []
      nextCursor.value = null
      if (e && (e.status === 404 || e.status === 405)) missing.value = true
      error.value = describeWith(e)
    } finally {
      loading.value = false
      loaded.value = true
    }
  }

  async function more() {
    if (!nextCursor.value) return
    loadingMore.value = true
    try {
      const page = await get(path(), { ...params(), limit, cursor: nextCursor.value })
      items.value.push(...page.items)
      nextCursor.value = page.next_cursor
    } catch (e) {
      fail(e, describeWith)
    } finally {
      loadingMore.value = false
    }
  }

  function clear() {
    items.value = []
    nextCursor.value = null
    error.value = ''
  }

  return { items, nextCursor, loading, loaded, loadingMore, error, missing, load, more, clear }
}
