// The community tree (GET /communities/{id}/tree) indexed for the grid page:
// names by id, options for pickers, and who may work in which grid.
import { ElMessage } from 'element-plus'
import { done, fail } from '../../lib/notify.js'
import { can, session } from '../../lib/session.js'

export const EMPTY_TREE = { community: null, estates: [], grids: [] }

/** Lookups over a community tree: grids, buildings and units by id. */
export function indexTree(tree) {
  const grids = {}
  const buildings = {}
  const units = {}
  for (const g of (tree && tree.grids) || []) grids[g.id] = g
  for (const estate of (tree && tree.estates) || []) {
    for (const building of estate.buildings) {
      buildings[building.id] = { ...building, estate }
      for (const unit of building.units) units[unit.id] = { ...unit, building, estate }
    }
  }
  return { grids, buildings, units }
}

export function gridName(index, id) {
  const grid = index.grids[id]
  return grid ? grid.name : '—'
}

/** "小区 / 楼栋" of a building, "小区 / 楼栋 / 单元" of a unit. */
export function buildingText(index, id) {
  const b = index.buildings[id]
  return b ? `${b.estate.name} / ${b.name}` : '—'
}

export function unitText(index, id) {
  const u = index.units[id]
  return u ? `${u.estate.name} / ${u.building.name} / ${u.name}` : '—'
}

/** el-cascader options: estates → buildings (→ units when `depth` is 'unit'). */
export function placeOptions(tree, depth) {
  return ((tree && tree.estates) || []).map((estate) => ({
    value: estate.id,
    label: estate.name,
    disabled: estate.buildings.length === 0,
    children: estate.buildings.map((building) => {
      if (depth === 'building') return { value: building.id, label: building.name }
      return {
        value: building.id,
        label: building.name,
        disabled: building.units.length === 0,
        children: building.units.map((unit) => ({ value: unit.id, label: unit.name })),
      }
    }),
  }))
}

/** Does the signed-in person work in this grid (its staff, or an admin of the community)? */
export function worksIn(gridId) {
  if (can.admin) return true
  const mine = (session.me && session.me.staff_grids) || []
  return mine.some((g) => g.id === gridId)
}

/** Names of the community's staff by person id, from the tree's grids[].staff. */
export function staffNames(tree) {
  const names = {}
  for (const g of (tree && tree.grids) || []) for (const s of g.staff) names[s.person_id] = s.name
  return names
}

/** Like notify.act, but a 409 (duplicate name, role already held...) is told as `conflict`. */
export async function attempt(busy, action, success, conflict) {
  busy.value = true
  try {
    const result = await action()
    if (success) done(success)
    return result
  } catch (e) {
    if (conflict && e && e.status === 409) {
      ElMessage.error({ message: conflict, duration: 6000, showClose: true, customClass: 'yzw-error' })
    } else fail(e)
    return undefined
  } finally {
    busy.value = false
  }
}
