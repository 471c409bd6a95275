import { createRouter, createWebHistory } from 'vue-router'
import { hasToken, whenUnauthenticated } from './lib/api.js'
import { isStaff, loadMe, logout, session } from './lib/session.js'

const routes = [
  { path: '/', redirect: '/office' },
  { path: '/login', component: () => import('./views/office/Login.vue'), meta: { title: '办公台登录' } },
  {
    path: '/office',
    component: () => import('./views/office/Layout.vue'),
    meta: { office: true },
    children: [
      { path: '', redirect: '/office/dashboard' },
      { path: 'dashboard', component: () => import('./views/office/Dashboard.vue'), meta: { title: '平台大数据分析' } },
      { path: 'appeals', component: () => import('./views/office/Appeals.vue'), meta: { title: '诉求派单' } },
      { path: 'grid', component: () => import('./views/office/GridTree.vue'), meta: { title: '网格管理' } },
      { path: 'volunteers', component: () => import('./views/office/Volunteers.vue'), meta: { title: '志愿服务' } },
      { path: 'fund', component: () => import('./views/office/Fund.vue'), meta: { title: '共建实践金' } },
    ],
  },
  { path: '/h5/login', component: () => import('./views/h5/Login.vue'), meta: { title: '居民登录' } },
  {
    path: '/h5',
    component: () => import('./views/h5/Layout.vue'),
    meta: { resident: true },
    children: [
      { path: '', redirect: '/h5/appeals' },
      { path: 'appeals', component: () => import('./views/h5/MyAppeals.vue'), meta: { title: '我的诉求' } },
      { path: 'appeals/new', component: () => import('./views/h5/NewAppeal.vue'), meta: { title: '我要点单' } },
      { path: 'appeals/:id', component: () => import('./views/h5/AppealDetail.vue'), meta: { title: '诉求详情' } },
      { path: 'votes/:id', component: () => import('./views/h5/Vote.vue'), meta: { title: '有事来商量' } },
      { path: 'stars', component: () => import('./views/h5/Stars.vue'), meta: { title: '闪闪红星' } },
    ],
  },
  { path: '/public/funds/:id', component: () => import('./views/PublicFund.vue'), meta: { title: '资金公示' } },
  { path: '/:rest(.*)*', component: () => import('./views/NotFound.vue'), meta: { title: '页面不存在' } },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  const needsLogin = to.matched.some((r) => r.meta.office || r.meta.resident)
  if (!needsLogin) return true
  const loginPage = to.matched.some((r) => r.meta.office) ? '/login' : '/h5/login'
  if (!hasToken()) return { path: loginPage, query: { next: to.fullPath } }
  if (!session.me) {
    try {
      await loadMe()
    } catch {
      logout()
      return { path: loginPage, query: { next: to.fullPath } }
    }
  }
  // the office is for people who hold a role; a resident is sent to their own page
  if (to.matched.some((r) => r.meta.office) && !isStaff.value) return { path: '/h5/appeals' }
  return true
})

router.afterEach((to) => {
  document.title = to.meta.title ? `${to.meta.title} · 一张网` : '一张网'
})

whenUnauthenticated(() => {
  const office = router.currentRoute.value.path.startsWith('/office')
  logout()
  router.replace({ path: office ? '/login' : '/h5/login', query: { expired: '1' } })
})
