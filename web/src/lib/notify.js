import { ElMessage } from 'element-plus'
import { ref } from 'vue'
import { describe } from './errors.js'

/** Show what went wrong, in Chinese, and keep it for the page to show too. */
export function fail(error, describeWith = describe) {
  const text = describeWith(error)
  ElMessage.error({ message: text, duration: 6000, showClose: true, customClass: 'yzw-error' })
  return text
}

export function done(text) {
  ElMessage.success({ message: text, duration: 2500 })
}

/** A value loaded from the API with its loading and error states: `{data, loading, error, reload}`. */
export function useLoad(loader, initial = null) {
  const data = ref(initial)
  const loading = ref(false)
  const error = ref('')
  async function reload(...args) {
    loading.value = true
    error.value = ''
    try {
      data.value = await loader(...args)
    } catch (e) {
      error.value = describe(e)
    } finally {
      loading.value = false
    }
    return data.value
  }
  return { data, loading, error, reload }
}

/** Run an action: a busy flag, the error shown in Chinese, the success message. */
export async function act(busy, action, success, describeWith = describe) {
  busy.value = true
  try {
    const result = await action()
    if (success) done(success)
    return result
  } catch (e) {
    fail(e, describeWith)
    return undefined
  } finally {
    busy.value = false
  }
}
