import { createApp } from 'vue'
import { createPinia } from 'pinia'
import App from '@renderer/App.vue'
import { createProfilerClient, profilerClientKey } from '@renderer/api/client'
import '@renderer/styles/theme.css'

const app = createApp(App)
// Provided before Pinia is installed: setup stores inject the client when first used.
app.provide(profilerClientKey, createProfilerClient())
app.use(createPinia())
app.mount('#app')
