/**
 * App-wide Electron hardening: no navigation away from our page, no new windows, no
 * permission prompts, no webviews. The renderer shows data from apps we do not control
 * (SQL text, error messages), so nothing it renders may steer the browser.
 */
import { app, session } from 'electron'

export function hardenApp(): void {
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (event) => event.preventDefault())
    contents.on('will-redirect', (event) => event.preventDefault())
    contents.on('will-attach-webview', (event) => event.preventDefault())
    contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  })
  void app.whenReady().then(() => {
    session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) =>
      callback(false),
    )
    session.defaultSession.setPermissionCheckHandler(() => false)
  })
}
