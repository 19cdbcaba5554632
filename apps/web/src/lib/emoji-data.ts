/**
 * The emoji the reaction picker offers, with the words it finds them by: a
 * curated set of common ones rather than all ~3,800 of Unicode (or a library
 * with its data: the maintained ones, such as emojibase, weigh hundreds of
 * kilobytes, or fetch their data at run time). Any single emoji is still a
 * valid reaction (the server checks `isReactionEmoji`), so a reaction someone
 * made elsewhere shows and toggles here too. One line per emoji: the emoji,
 * a space, its name and other words to search by.
 */
const DATA = `
😀 grinning face happy smile
😃 grinning face big eyes happy
😄 grinning smiling eyes laugh
😁 beaming grin teeth
😆 laughing squinting
😅 sweat smile relief
🤣 rolling floor laughing rofl
😂 tears of joy laugh lol
🙂 slightly smiling
🙃 upside down
😉 wink
😊 smiling blush
😇 halo angel innocent
🥰 hearts love adore
😍 heart eyes love
🤩 star struck wow
😘 blowing kiss
😗 kissing
😚 kissing closed eyes
😋 yum delicious tongue
😛 tongue out
😜 winking tongue crazy
🤪 zany crazy
😝 squinting tongue
🤑 money mouth rich
🤗 hugging hug
🤭 hand over mouth oops giggle
🤫 shushing quiet secret
🤔 thinking hmm
🤐 zipper mouth
🤨 raised eyebrow skeptical
😐 neutral
😑 expressionless
😶 no mouth speechless
😏 smirk
😒 unamused
🙄 rolling eyes
😬 grimacing awkward
😌 relieved
😔 pensive
😪 sleepy
🤤 drooling
😴 sleeping zzz
😷 mask sick
🤒 thermometer ill
🤕 bandage hurt
🤢 nauseated sick
🤮 vomiting
🥵 hot face
🥶 cold face freezing
🥴 woozy dizzy
😵 dizzy face
🤯 exploding head mind blown
🤠 cowboy
🥳 partying party celebrate
😎 sunglasses cool
🤓 nerd
🧐 monocle
😕 confused
😟 worried
🙁 slightly frowning sad
😮 open mouth surprised wow
😯 hushed
😲 astonished shocked
😳 flushed embarrassed
🥺 pleading puppy eyes
😦 frowning open mouth
😧 anguished
😨 fearful scared
😰 anxious sweat
😥 sad but relieved
😢 crying tear sad
😭 loudly crying sob
😱 screaming fear
😖 confounded
😣 persevering
😞 disappointed
😓 downcast sweat
😩 weary
😫 tired
🥱 yawning bored
😤 steam nose triumph
😡 pouting angry rage
😠 angry mad
🤬 cursing swearing
😈 smiling horns devil
💀 skull dead
💩 pile of poo
🤡 clown
👻 ghost
👽 alien
🤖 robot bot
😺 grinning cat
😻 heart eyes cat
🙈 see no evil monkey
🙉 hear no evil monkey
🙊 speak no evil monkey
👋 waving hand hello bye
🤚 raised back of hand
✋ raised hand stop high five
🖖 vulcan salute
👌 ok hand perfect
🤌 pinched fingers
🤏 pinching small
✌️ victory peace
🤞 crossed fingers luck
🤟 love you gesture
🤘 horns rock
🤙 call me hand
👈 pointing left
👉 pointing right
👆 pointing up
👇 pointing down
☝️ index pointing up
👍 thumbs up like yes approve +1
👎 thumbs down dislike no -1
✊ raised fist
👊 fist bump punch
👏 clapping applause
🙌 raising hands hooray
👐 open hands
🤲 palms up
🤝 handshake deal agree
🙏 folded hands please thanks pray
✍️ writing hand
💪 flexed biceps strong
🧠 brain smart
👀 eyes looking watching
👁️ eye
👄 mouth
🫡 saluting
🫶 heart hands
🫠 melting face
🫣 peeking eye
🫢 open eyes hand over mouth
🤷 shrug whatever
🤦 facepalm
🙋 raising hand question
🙇 bowing sorry
💁 tipping hand
🙆 ok gesture
🙅 no gesture
🧑‍💻 technologist developer coder
👶 baby
🧙 mage wizard
🥷 ninja
🦸 superhero
🏃 running
💃 dancing woman
🕺 dancing man
❤️ red heart love
🧡 orange heart
💛 yellow heart
💚 green heart
💙 blue heart
💜 purple heart
🖤 black heart
🤍 white heart
🤎 brown heart
💔 broken heart
❣️ heart exclamation
💕 two hearts
💞 revolving hearts
💓 beating heart
💗 growing heart
💖 sparkling heart
💘 heart arrow cupid
💝 heart ribbon gift
💯 hundred points 100 perfect
💢 anger symbol
💥 collision boom
💫 dizzy stars
💦 sweat droplets
💨 dashing away fast
💬 speech balloon comment
💭 thought balloon
💤 zzz sleep
🔥 fire lit hot
✨ sparkles shiny new
⭐ star favourite
🌟 glowing star
⚡ high voltage lightning fast
🌈 rainbow
☀️ sun sunny
🌙 crescent moon night
☁️ cloud
🌧️ rain
❄️ snowflake cold
☃️ snowman
🌊 water wave
🎉 party popper tada celebrate congrats
🎊 confetti ball
🎈 balloon
🎁 gift present
🎂 birthday cake
🏆 trophy win
🥇 first place gold medal
🥈 second place silver
🥉 third place bronze
🏅 sports medal
🎯 direct hit bullseye target
🎮 video game
🎲 game die dice
🧩 puzzle piece
🎵 musical note music
🎶 musical notes
🎤 microphone sing
🎧 headphone
📣 megaphone announce
📢 loudspeaker
🔔 bell notification
🔕 bell slash mute
📌 pushpin pin
📍 round pushpin location
📎 paperclip attach
✏️ pencil edit
📝 memo note write
📅 calendar date
📆 tear off calendar
⏰ alarm clock
⏳ hourglass waiting
⌛ hourglass done
🕐 one o clock time
📈 chart increasing up growth
📉 chart decreasing down
📊 bar chart stats
📋 clipboard
📁 file folder
📄 page document
📚 books
📖 open book read
🔖 bookmark
🏷️ label tag
💡 light bulb idea
🔍 magnifying glass search
🔒 locked secure
🔓 unlocked
🔑 key
🛠️ hammer and wrench tools
🔧 wrench fix
🔨 hammer
⚙️ gear settings
🧪 test tube experiment
🐛 bug
🚀 rocket launch ship
✈️ airplane travel
🚗 car
🚲 bicycle
🏠 house home
🏢 office building
🏖️ beach vacation
⛰️ mountain
🌍 globe earth world
💻 laptop computer
🖥️ desktop computer
⌨️ keyboard
🖱️ computer mouse
📱 mobile phone
☎️ telephone
📞 telephone receiver call
📷 camera photo
🎥 movie camera video
📺 television tv
💾 floppy disk save
💿 optical disk
🔋 battery
🔌 electric plug
💸 money wings
💰 money bag
💳 credit card
🛒 shopping cart
📦 package box ship
✉️ envelope mail
📧 e-mail
📬 mailbox
🗑️ wastebasket trash delete
☕ hot beverage coffee tea
🍵 teacup
🍺 beer
🍻 clinking beers cheers
🥂 clinking glasses cheers toast
🍷 wine glass
🍕 pizza
🍔 hamburger burger
🍟 french fries
🌮 taco
🍣 sushi
🍜 steaming bowl ramen noodles
🍩 doughnut donut
🍪 cookie
🍫 chocolate bar
🍰 shortcake cake
🍎 red apple
🍌 banana
🍓 strawberry
🥑 avocado
🌶️ hot pepper spicy
🍿 popcorn
🐶 dog face puppy
🐱 cat face kitten
🐭 mouse face
🦊 fox
🐻 bear
🐼 panda
🐨 koala
🐯 tiger face
🦁 lion
🐮 cow face
🐷 pig face
🐸 frog
🐵 monkey face
🐔 chicken
🐧 penguin
🐦 bird
🦉 owl
🦄 unicorn
🐝 honeybee bee
🦋 butterfly
🐢 turtle slow
🐍 snake
🐙 octopus
🐳 spouting whale
🐬 dolphin
🦀 crab rust
🌸 cherry blossom flower
🌹 rose
🌻 sunflower
🌱 seedling grow
🌲 evergreen tree
🍀 four leaf clover luck
🍁 maple leaf
✅ check mark button done yes
☑️ check box
✔️ check mark
❌ cross mark no wrong
❎ cross mark button
➕ plus add
➖ minus
❓ question mark
❔ white question mark
❗ exclamation mark important
‼️ double exclamation
⚠️ warning caution
🚫 prohibited forbidden
⛔ no entry
🛑 stop sign
🆗 ok button
🆕 new button
🆒 cool button
🆘 sos help
🔴 red circle
🟠 orange circle
🟡 yellow circle
🟢 green circle
🔵 blue circle
🟣 purple circle
⚫ black circle
⚪ white circle
🔺 red triangle up
🔻 red triangle down
➡️ right arrow
⬅️ left arrow
⬆️ up arrow
⬇️ down arrow
🔄 counterclockwise arrows refresh repeat
🔁 repeat
▶️ play
⏸️ pause
⏹️ stop
0️⃣ keycap zero
1️⃣ keycap one
2️⃣ keycap two
3️⃣ keycap three
4️⃣ keycap four
5️⃣ keycap five
🔟 keycap ten
🏁 chequered flag finish
🚩 triangular flag
🏳️ white flag surrender
🏴‍☠️ pirate flag
🏳️‍🌈 rainbow flag pride
🇪🇺 flag european union
🇺🇳 flag united nations
`;

export interface EmojiInfo {
  emoji: string;
  /** Lower-case words to search by, the first of them its name. */
  words: string;
}

export const EMOJI: readonly EmojiInfo[] = DATA.trim()
  .split('\n')
  .map((line) => {
    const space = line.indexOf(' ');
    return { emoji: line.slice(0, space), words: line.slice(space + 1).toLowerCase() };
  });

/** Offered first until the person has reactions of their own. */
export const DEFAULT_FREQUENT = ['👍', '❤️', '😂', '🎉', '😮', '😢', '🙏', '👀'];

/** The emoji whose words contain every word of `query` (all of them for an empty query). */
export function searchEmoji(query: string): EmojiInfo[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...EMOJI];
  return EMOJI.filter((e) => words.every((w) => e.words.includes(w)));
}

/** A short name for an emoji (for labels: "Add reaction thumbs up"); the emoji itself when it is not in the set. */
export function emojiName(emoji: string): string {
  const found = EMOJI.find((e) => e.emoji === emoji);
  if (!found) return emoji;
  return found.words.split(' ').slice(0, 2).join(' ');
}
